"""Create a task-chain project from COCO: detect dogs, then segment each detected dog's shape.

    python examples/create_coco_project_task_chain.py [--max-images 50]

The first task (detection) has the single label ``dog``; the second (segmentation, inside each
``dog`` box) has the label ``dog shape``. COCO's ``dog`` class is renamed to ``dog shape`` on the way
in (the builders' ``label_map``) and ``dog`` becomes the chain label, so every COCO dog outline
gives a ``dog`` box for the first task and a ``dog shape`` polygon for the second.

Server: ``--host``/``--username``/``--password`` or ``SC_HOST``, ``SC_USERNAME``, ``SC_PASSWORD``.
Data: ``--coco-path`` or ``COCO_PATH`` (default ``data/coco``, as ``examples/download_coco.py``
leaves it: ``val2017/`` + ``annotations/instances_val2017.json``). Self-contained on purpose.
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

DETECTION_LABEL = "dog"
SEGMENTATION_LABEL = "dog shape"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    add_coco_path_argument(parser)
    parser.add_argument("--project-name", default="COCO dog detection -> dog shape segmentation")
    parser.add_argument("--max-images", type=int, default=-1, help="upload at most this many images (-1: all)")
    args = parser.parse_args(argv)

    problem = setup_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return create_and_describe(args, lambda client: client.create_task_chain_project_from_dataset(
        project_name=args.project_name, project_type="detection_to_segmentation",
        path_to_dataset=args.coco_path, labels=[SEGMENTATION_LABEL],
        label_map={"dog": SEGMENTATION_LABEL}, chain_label=DETECTION_LABEL,
        number_of_images_to_upload=args.max_images, dataset_format="coco",
        reader_options={"annotation_file": COCO_ANNOTATION_FILE},
    ))


if __name__ == "__main__":
    sys.exit(main())
