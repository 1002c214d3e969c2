"""Create a one-task project of the COCO "dog" class: detection, segmentation or classification.

    python examples/create_coco_project_single_task.py --project-type segmentation

Server: ``--host``/``--username``/``--password`` or the environment variables ``SC_HOST``,
``SC_USERNAME``, ``SC_PASSWORD``. Data: ``--coco-path`` or ``COCO_PATH`` (default ``data/coco``,
as ``examples/download_coco.py`` leaves it: ``val2017/`` + ``annotations/instances_val2017.json``).

Only images that show a dog are uploaded. A classifier needs at least two classes to tell apart,
so classification uses ``dog`` and ``cat`` unless ``--labels`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys

from example_common import (
    COCO_ANNOTATION_FILE,
    add_coco_path_argument,
    add_server_arguments,
    create_and_describe,
    setup_problem,
)

PROJECT_TYPES = ("detection", "segmentation", "classification")
DEFAULT_LABELS = {"detection": ["dog"], "segmentation": ["dog"], "classification": ["dog", "cat"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    add_coco_path_argument(parser)
    parser.add_argument("--project-type", choices=PROJECT_TYPES, default="detection")
    parser.add_argument("--labels", help="comma-separated COCO classes (default: dog; dog,cat for classification)")
    parser.add_argument("--project-name", help="default: 'COCO dog <project type>'")
    parser.add_argument("--max-images", type=int, default=-1, help="upload at most this many images (-1: all)")
    args = parser.parse_args(argv)

    problem = setup_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    labels = args.labels.split(",") if args.labels else DEFAULT_LABELS[args.project_type]
    name = args.project_name or f"COCO {' '.join(labels)} {args.project_type}"
    return create_and_describe(args, lambda client: client.create_single_task_project_from_dataset(
        project_name=name, project_type=args.project_type, path_to_dataset=args.coco_path,
        labels=labels, number_of_images_to_upload=args.max_images, dataset_format="coco",
        reader_options={"annotation_file": COCO_ANNOTATION_FILE},
    ))


if __name__ == "__main__":
    sys.exit(main())
