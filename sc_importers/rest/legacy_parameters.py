"""The one table of neutral keys for the training parameters SC 1.0 and Geti 2.x share.

Both dialect modules (:mod:`sc_importers.rest.sc_v1_settings` for SC 1.0's configurable parameters,
:mod:`sc_importers.rest.geti_v1_settings` for Geti's legacy configurable parameters and its 2.12+
``project_configuration`` / ``training_configuration``) name a parameter by the key found here, so
a parameter that is the same thing under two names carries across dialects (a backup of one
restores onto the other, and ``sc-export --verify`` compares it). A parameter not in this table
keeps the dialect-specific key ``"<section>.<name>"``: it carries only to a server whose
configuration has a parameter of that key, and is reported as not applied elsewhere.

Neutral key: configurable parameters (SC 1.0, Geti before 2.12) | Geti 2.12+ key/value configuration

* ``auto_training``: ``TASK_NODE.auto_training`` | ``auto_training.enable``
* ``iterations``: the first of :data:`ITERATION_PARAMETER_NAMES` in ``learning_parameters``
  (``num_iters``, ``max_num_epochs``) | ``training.max_epochs``
* ``min_images_per_label``: ``DATASET_COUNTER.required_images_first_training`` (SC 1.0's name) or
  ``DATASET_COUNTER.required_images_auto_training`` (Geti 2.x's name; both are "annotated media
  needed before auto-training starts") | ``auto_training.min_images_per_label``
* ``dynamic_required_annotations``: ``DATASET_COUNTER.use_dynamic_required_annotations`` (Geti 2.x
  only; SC 1.0 has none) | ``auto_training.enable_dynamic_required_annotations``

Parameters of one dialect only (no counterpart in the other, so never compared across dialects):
SC 1.0's ``dataset_counter.required_images_retraining``; Geti 2.12+'s ``training.min_images_per_label``
(``training.constraints``: the minimum for any training, not only an automatic one). The other
configurable parameters (``learning_parameters.*``, ``subset_parameters.*``, ``postprocessing.*``,
``dataset_counter.label_constraint_first_training``, the project-level ``active_manager.*`` and
``pipeline_dataset_manager.*``) have the same section and name in SC 1.0 and in Geti's legacy API.
"""

from __future__ import annotations

from sc_importers.settings import AUTO_TRAINING, DYNAMIC_REQUIRED_ANNOTATIONS, ITERATIONS, MIN_IMAGES_PER_LABEL

#: Names the learning parameters use for the number of training iterations / epochs, the preferred first.
ITERATION_PARAMETER_NAMES = ("num_iters", "max_num_epochs", "num_epochs", "epochs", "iterations")
#: The section (lower-cased component or parameter group) holding the iterations parameter.
ITERATION_SECTION = "learning_parameters"

#: (section, name) of a configurable parameter (SC 1.0, Geti 2.x legacy API) -> neutral key.
LEGACY_KEYS: dict[tuple[str, str], str] = {
    ("task_node", "auto_training"): AUTO_TRAINING,
    ("dataset_counter", "required_images_first_training"): MIN_IMAGES_PER_LABEL,  # SC 1.0's name
    ("dataset_counter", "required_images_auto_training"): MIN_IMAGES_PER_LABEL,  # Geti 2.x's name
    ("dataset_counter", "use_dynamic_required_annotations"): DYNAMIC_REQUIRED_ANNOTATIONS,
}

#: (section, key) of a Geti 2.12+ ``project_configuration`` / ``training_configuration`` entry -> neutral key.
MODERN_KEYS: dict[tuple[str, str], str] = {
    ("auto_training", "enable"): AUTO_TRAINING,
    ("auto_training", "enable_dynamic_required_annotations"): DYNAMIC_REQUIRED_ANNOTATIONS,
    ("auto_training", "min_images_per_label"): MIN_IMAGES_PER_LABEL,
    ("training", "max_epochs"): ITERATIONS,
}


#: Keys ``settings.json`` files written before a parameter joined the table above used for it
#: (the plain ``"<section>.<name>"``) -> its neutral key now; read backups are translated.
FORMER_KEYS: dict[str, str] = {
    f"{section}.{name}": key for (section, name), key in LEGACY_KEYS.items()
    if (section, name) == ("dataset_counter", "required_images_first_training")
}


def current_keys(parameters: dict[str, object]) -> dict[str, object]:
    """``parameters`` with every key of :data:`FORMER_KEYS` renamed (a key already present wins)."""
    out = {FORMER_KEYS.get(key, key): value for key, value in parameters.items() if key not in FORMER_KEYS}
    for key, value in parameters.items():
        if key in FORMER_KEYS:
            out.setdefault(FORMER_KEYS[key], value)
    return out


def is_iteration_parameter(section: str, name: str) -> bool:
    """Whether ``name`` of ``section`` may be the number of training iterations / epochs."""
    return section == ITERATION_SECTION and name in ITERATION_PARAMETER_NAMES


def modern_key(section: str, key: str) -> str:
    """The neutral key of a Geti 2.12+ configuration entry ``key`` of top-level part ``section``."""
    return MODERN_KEYS.get((section, key), f"{section}.{key}")
