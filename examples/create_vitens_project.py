"""Create a colony detection (or segmentation) project from a Vitens-format folder.

    python examples/create_vitens_project.py --vitens-path data/vitens [--project-type segmentation]

The Vitens folder holds ``images/0123_plate.jpg`` and ``annotation/0123_*.json`` (see
``plugins/vitens``); every colony becomes a box (detection) or an outline (segmentation). No real
Vitens data at hand? ``--generate N`` first writes N synthetic plate images into the folder
(``sc_importers_vitens.synthetic.make_vitens_dataset``) when it does not exist yet.

Server: ``--host``/``--username``/``--password`` or ``SC_HOST``, ``SC_USERNAME``, ``SC_PASSWORD``.
Data: ``--vitens-path`` or ``VITENS_PATH`` (default ``data/vitens``). Self-contained on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from example_common import (
    add_server_arguments,
    create_and_describe,
    setup_problem,
)

PROJECT_TYPES = ("detection", "segmentation")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    parser.add_argument("--vitens-path", type=Path, default=Path(os.environ.get("VITENS_PATH", "data/vitens")),
                        help="Vitens folder with images/ and annotation/ (env VITENS_PATH; default data/vitens)")
    parser.add_argument("--project-type", choices=PROJECT_TYPES, default="detection")
    parser.add_argument("--project-name", help="default: 'Vitens colonies <project type>'")
    parser.add_argument("--generate", type=int, metavar="N",
                        help="write N synthetic plate images into --vitens-path first, if it does not exist")
    args = parser.parse_args(argv)

    problem = setup_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.generate and not args.vitens_path.exists():
        from sc_importers_vitens.synthetic import make_vitens_dataset

        made = make_vitens_dataset(args.vitens_path, args.generate)
        print(f"Generated {len(made.images)} synthetic plate images with {made.points} colonies "
              f"in {args.vitens_path}")
    if not (args.vitens_path / "images").is_dir():
        print(f"error: {args.vitens_path / 'images'} not found; point --vitens-path / VITENS_PATH at a "
              "Vitens folder, or pass --generate N for synthetic data", file=sys.stderr)
        return 2
    name = args.project_name or f"Vitens colonies {args.project_type}"
    return create_and_describe(args, lambda client: client.create_single_task_project_from_dataset(
        project_name=name, project_type=args.project_type, path_to_dataset=args.vitens_path,
        dataset_format="vitens",
    ))


if __name__ == "__main__":
    sys.exit(main())
