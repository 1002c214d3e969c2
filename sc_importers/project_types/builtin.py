"""The core project-type builders, registered by the plugin manager itself.

They implement the same ``register_project_types`` hook a third-party plugin would; a plugin
may add more types (for example a new task chain) under new names.
"""

from __future__ import annotations

from sc_importers.hookspecs import hookimpl
from sc_importers.project_types.anomaly import (
    AnomalyClassification,
    AnomalyDetection,
    AnomalySegmentation,
)
from sc_importers.project_types.base import ProjectType
from sc_importers.project_types.chains import DetectionToClassification, DetectionToSegmentation
from sc_importers.project_types.single import Classification, Detection, Segmentation


@hookimpl
def register_project_types() -> list[ProjectType]:
    return [
        Classification(),
        Detection(),
        Segmentation(),
        AnomalyClassification(),
        AnomalyDetection(),
        AnomalySegmentation(),
        DetectionToSegmentation(),
        DetectionToClassification(),
    ]
