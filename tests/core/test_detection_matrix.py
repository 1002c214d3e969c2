"""Auto-detection over every real dataset folder a user could point ``sc-import`` at.

Each row is a folder under the shared datasets and the outcome ``choose_format`` must give over all
registered readers: a reader name, ``datumaro:<formats>`` (the Datumaro format(s) its detection names,
comma-separated when several match), or None for "no reader / tie": a clear FormatError that lists the
candidates. The folder list is also checked against the data on disk, so a new folder in the shared
data is noticed instead of silently untested.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sc_importers import plugins
from sc_importers.formats import FormatChoice, FormatError, choose_format

#: The whole matrix (about 200 folders) must be detected within this many seconds (measured: ~2 s).
MATRIX_SECONDS = 20.0

#: Folders of images and/or videos without annotation files are unannotated media (the ``media`` reader,
#: confidence 0.5, below every real format); ImageNet class folders (images only, one folder per class,
#: not named like splits) are Datumaro's ``imagenet`` (0.55).
EXPECTED: list[tuple[str, str | None]] = [
    # coco128 (LightlyTrain): YOLO variants with config.yaml; the parent folder holds several datasets;
    # panoptic: Datumaro's coco_panoptic detector accepts it (the coco reader does not read panoptic);
    # semantic masks without a label map and the bare image pool are not importable datasets.
    ("coco128-yolo-lightly", None),
    ("coco128-yolo-lightly/object_detection", 'yolo'),
    ("coco128-yolo-lightly/instance_segmentation", 'yolo'),
    ("coco128-yolo-lightly/panoptic_segmentation", 'datumaro:coco_panoptic'),
    ("coco128-yolo-lightly/semantic_segmentation", None),
    ("coco128-yolo-lightly/pretrain_distill", None),
    ("coco128-yolo-lightly/images", 'media'),
    # flat VOC (annotations/ + images/, no ImageSets): read by datumaro through a staged VOCdevkit view.
    ("voc-raccoon", 'datumaro:voc'),
    # labelme's examples: labelme JSON (also from the example folder above data_annotated); its VOC
    # export: detection (Annotations/ + JPEGImages/, no ImageSets) is read as flat VOC, the
    # segmentation PNG exports without ImageSets/labelmap are no dataset any reader takes; the COCO
    # export with annotations.json outside annotations/ is COCO.
    ("labelme-examples/examples/bbox_detection", 'labelme'),
    ("labelme-examples/examples/bbox_detection/data_annotated", 'labelme'),
    ("labelme-examples/examples/bbox_detection/data_dataset_voc", 'datumaro:voc'),
    ("labelme-examples/examples/classification", 'labelme'),
    ("labelme-examples/examples/classification/data_annotated", 'labelme'),
    ("labelme-examples/examples/instance_segmentation", 'labelme'),
    ("labelme-examples/examples/instance_segmentation/data_annotated", 'labelme'),
    ("labelme-examples/examples/instance_segmentation/data_dataset_coco", 'coco'),
    ("labelme-examples/examples/instance_segmentation/data_dataset_voc", None),
    ("labelme-examples/examples/semantic_segmentation", 'labelme'),
    ("labelme-examples/examples/semantic_segmentation/data_annotated", 'labelme'),
    ("labelme-examples/examples/semantic_segmentation/data_dataset_voc", None),
    ("labelme-examples/examples/video_annotation", 'labelme'),
    ("labelme-examples/examples/video_annotation/data_annotated", 'labelme'),
    ("labelme-examples/examples/video_annotation/data_dataset_voc", None),
    # mmpose keypoint tests: COCO-shaped json (several in coco/: the coco reader wins and asks for
    # --annotation-file); posetrack18 keeps its COCO json in annotations/ under a non-COCO name
    # (test_posetrack18_val.json next to a detections list): the one COCO-shaped file is chosen.
    ("mmpose-tests-keypoints/tests/data", None),
    ("mmpose-tests-keypoints/tests/data/coco", 'coco'),
    ("mmpose-tests-keypoints/tests/data/crowdpose", 'coco'),
    ("mmpose-tests-keypoints/tests/data/mpii", 'coco'),
    ("mmpose-tests-keypoints/tests/data/posetrack18", 'coco'),
    ("mmpose-tests-keypoints/tests/data/posetrack18/videos/000001_mpiinew_test", 'media'),
    # Datumaro's own test assets: each format folder and its variant sub-folders. Dedicated readers
    # win over Datumaro for COCO and Ultralytics YOLO; folders holding several datasets, plain image
    # or video folders and CSV tables (Datumaro's catch-all "tabular", no images) are not chosen.
    ("datumaro-test-assets/assets/ade20k2017_dataset", 'datumaro:ade20k2017'),
    ("datumaro-test-assets/assets/ade20k2017_dataset/dataset", 'datumaro:ade20k2017'),
    ("datumaro-test-assets/assets/ade20k2017_dataset/dataset_with_meta_file", 'datumaro:ade20k2017'),
    ("datumaro-test-assets/assets/ade20k2020_dataset", None),
    ("datumaro-test-assets/assets/ade20k2020_dataset/dataset", 'datumaro:ade20k2020'),
    ("datumaro-test-assets/assets/ade20k2020_dataset/dataset_with_meta_file", 'datumaro:ade20k2020'),
    ("datumaro-test-assets/assets/align_celeba_dataset", None),
    ("datumaro-test-assets/assets/align_celeba_dataset/dataset", 'datumaro:align_celeba'),
    ("datumaro-test-assets/assets/align_celeba_dataset/dataset_with_meta_file", 'datumaro:align_celeba'),
    ("datumaro-test-assets/assets/ava_dataset", None),
    ("datumaro-test-assets/assets/ava_dataset/annotations", None),
    ("datumaro-test-assets/assets/ava_dataset/frames", 'datumaro:imagenet'),
    ("datumaro-test-assets/assets/brats_dataset", None),
    ("datumaro-test-assets/assets/brats_dataset/imagesTr", None),
    ("datumaro-test-assets/assets/brats_dataset/imagesTs", None),
    ("datumaro-test-assets/assets/brats_dataset/labelsTr", None),
    ("datumaro-test-assets/assets/brats_numpy_dataset", 'datumaro:brats_numpy'),
    ("datumaro-test-assets/assets/camvid_dataset", 'datumaro:camvid'),
    ("datumaro-test-assets/assets/camvid_dataset/test", 'media'),
    ("datumaro-test-assets/assets/camvid_dataset/testannot", 'media'),
    ("datumaro-test-assets/assets/camvid_dataset/train", 'media'),
    ("datumaro-test-assets/assets/camvid_dataset/trainannot", 'media'),
    ("datumaro-test-assets/assets/camvid_dataset/val", 'media'),
    ("datumaro-test-assets/assets/camvid_dataset/valannot", 'media'),
    ("datumaro-test-assets/assets/celeba_dataset", None),
    ("datumaro-test-assets/assets/celeba_dataset/dataset", 'datumaro:celeba'),
    ("datumaro-test-assets/assets/celeba_dataset/dataset_with_meta_file", 'datumaro:celeba'),
    ("datumaro-test-assets/assets/cifar100_dataset", 'datumaro:cifar'),
    ("datumaro-test-assets/assets/cifar10_dataset", 'datumaro:cifar'),
    ("datumaro-test-assets/assets/cityscapes_dataset", 'media'),
    ("datumaro-test-assets/assets/cityscapes_dataset/dataset", 'datumaro:cityscapes'),
    ("datumaro-test-assets/assets/cityscapes_dataset/train_dataset", 'datumaro:cityscapes'),
    ("datumaro-test-assets/assets/coco_dataset", None),
    ("datumaro-test-assets/assets/coco_dataset/coco", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_captions", 'datumaro:coco_captions'),
    ("datumaro-test-assets/assets/coco_dataset/coco_image_info", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_instances", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_labels", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_panoptic", 'datumaro:coco_panoptic'),
    ("datumaro-test-assets/assets/coco_dataset/coco_person_keypoints", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_roboflow", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/coco_stuff", 'coco'),
    ("datumaro-test-assets/assets/coco_dataset/mmdet_coco", 'coco'),
    ("datumaro-test-assets/assets/common_semantic_segmentation_dataset", None),
    ("datumaro-test-assets/assets/common_semantic_segmentation_dataset/dataset",
     'datumaro:common_semantic_segmentation'),
    ("datumaro-test-assets/assets/common_semantic_segmentation_dataset/non_standard_dataset",
     'datumaro:common_semantic_segmentation'),
    ("datumaro-test-assets/assets/common_super_resolution_dataset", 'media'),
    ("datumaro-test-assets/assets/common_super_resolution_dataset/HR", 'media'),
    ("datumaro-test-assets/assets/common_super_resolution_dataset/LR", 'media'),
    ("datumaro-test-assets/assets/common_super_resolution_dataset/upsampled", 'media'),
    ("datumaro-test-assets/assets/compat", None),
    ("datumaro-test-assets/assets/compat/v0.1", None),
    ("datumaro-test-assets/assets/cvat_dataset", None),
    ("datumaro-test-assets/assets/cvat_dataset/for_images", None),
    ("datumaro-test-assets/assets/cvat_dataset/for_video", 'datumaro:cvat'),
    ("datumaro-test-assets/assets/datumaro_dataset", 'datumaro:datumaro'),
    ("datumaro-test-assets/assets/datumaro_dataset/legacy", 'datumaro:datumaro'),
    ("datumaro-test-assets/assets/dota_dataset", 'datumaro:dota'),
    ("datumaro-test-assets/assets/dota_dataset/train", 'datumaro:dota'),
    ("datumaro-test-assets/assets/dota_dataset/val", 'datumaro:dota'),
    ("datumaro-test-assets/assets/icdar_dataset", 'datumaro:icdar_text_localization,icdar_text_segmentation'),
    ("datumaro-test-assets/assets/icdar_dataset/text_localization", 'datumaro:icdar_text_localization'),
    ("datumaro-test-assets/assets/icdar_dataset/text_segmentation", 'datumaro:icdar_text_segmentation'),
    ("datumaro-test-assets/assets/icdar_dataset/word_recognition", 'datumaro:icdar_word_recognition'),
    ("datumaro-test-assets/assets/image_dir_dataset", 'media'),
    ("datumaro-test-assets/assets/image_zip_dataset", 'datumaro:image_zip'),
    ("datumaro-test-assets/assets/imagenet_dataset", 'media'),
    ("datumaro-test-assets/assets/imagenet_dataset/label_0", 'media'),
    ("datumaro-test-assets/assets/imagenet_dataset/label_1", 'media'),
    ("datumaro-test-assets/assets/imagenet_subsets_dataset", 'datumaro:imagenet_with_subset_dirs'),
    ("datumaro-test-assets/assets/imagenet_subsets_dataset/test", 'media'),
    ("datumaro-test-assets/assets/imagenet_subsets_dataset/train", 'media'),
    ("datumaro-test-assets/assets/imagenet_subsets_dataset/val", 'media'),
    ("datumaro-test-assets/assets/imagenet_txt_dataset", None),
    ("datumaro-test-assets/assets/imagenet_txt_dataset/basic", 'datumaro:imagenet_txt'),
    ("datumaro-test-assets/assets/imagenet_txt_dataset/custom_labels", 'datumaro:imagenet_txt'),
    ("datumaro-test-assets/assets/imagenet_txt_dataset/no_labels", 'datumaro:imagenet_txt'),
    ("datumaro-test-assets/assets/kaggle_dataset", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_csv", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_csv_det", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_csv_multi_label", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_mask", 'media'),
    ("datumaro-test-assets/assets/kaggle_dataset/image_mask_with_labelmap", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_txt", None),
    ("datumaro-test-assets/assets/kaggle_dataset/image_txt_det", None),
    ("datumaro-test-assets/assets/kaggle_dataset/relaxed_coco", 'coco'),
    ("datumaro-test-assets/assets/kaggle_dataset/relaxed_voc1", 'datumaro:voc'),
    ("datumaro-test-assets/assets/kaggle_dataset/relaxed_voc2", None),
    ("datumaro-test-assets/assets/kaggle_dataset/relaxed_yolo", None),
    ("datumaro-test-assets/assets/kinetics_dataset", 'datumaro:kinetics'),
    ("datumaro-test-assets/assets/kinetics_dataset/train", 'media'),
    ("datumaro-test-assets/assets/kitti_dataset", 'datumaro:kitti'),
    ("datumaro-test-assets/assets/kitti_dataset/kitti_3d", 'datumaro:kitti3d'),
    ("datumaro-test-assets/assets/kitti_dataset/kitti_3d_with_subset", None),
    ("datumaro-test-assets/assets/kitti_dataset/kitti_detection", 'datumaro:kitti'),
    ("datumaro-test-assets/assets/kitti_dataset/kitti_raw", 'datumaro:kitti_raw'),
    ("datumaro-test-assets/assets/kitti_dataset/kitti_segmentation", 'datumaro:kitti'),
    ("datumaro-test-assets/assets/labelme_dataset", 'datumaro:label_me'),
    ("datumaro-test-assets/assets/labelme_dataset/Annotations", 'datumaro:label_me'),
    ("datumaro-test-assets/assets/labelme_dataset/Images", 'media'),
    ("datumaro-test-assets/assets/labelme_dataset/Masks", 'media'),
    ("datumaro-test-assets/assets/labelme_dataset/Scribbles", 'media'),
    ("datumaro-test-assets/assets/lfw_dataset", 'datumaro:lfw'),
    ("datumaro-test-assets/assets/lfw_dataset/test", 'datumaro:lfw'),
    ("datumaro-test-assets/assets/mapillary_vistas_dataset", 'datumaro:mapillary_vistas'),
    ("datumaro-test-assets/assets/mapillary_vistas_dataset/train", None),
    ("datumaro-test-assets/assets/mapillary_vistas_dataset/val", None),
    ("datumaro-test-assets/assets/market1501_dataset", 'datumaro:market1501'),
    ("datumaro-test-assets/assets/market1501_dataset/bounding_box_test", 'media'),
    ("datumaro-test-assets/assets/market1501_dataset/bounding_box_train", 'media'),
    ("datumaro-test-assets/assets/market1501_dataset/query", 'media'),
    ("datumaro-test-assets/assets/mars_dataset", 'datumaro:mars'),
    ("datumaro-test-assets/assets/mars_dataset/bbox_test", 'media'),
    ("datumaro-test-assets/assets/mars_dataset/bbox_train", 'datumaro:imagenet'),
    ("datumaro-test-assets/assets/mnist_csv_dataset", 'datumaro:mnist_csv'),
    ("datumaro-test-assets/assets/mnist_dataset", 'datumaro:mnist'),
    ("datumaro-test-assets/assets/mot_dataset", None),
    ("datumaro-test-assets/assets/mot_dataset/mot_seq", 'datumaro:mot_seq'),
    ("datumaro-test-assets/assets/mot_dataset/mot_seq_with_seqinfo", 'datumaro:mot_seq'),
    ("datumaro-test-assets/assets/mots_dataset", 'datumaro:mots'),
    ("datumaro-test-assets/assets/mots_dataset/train", 'datumaro:mots'),
    ("datumaro-test-assets/assets/mots_dataset/val", 'datumaro:mots'),
    ("datumaro-test-assets/assets/mpii_dataset", 'datumaro:mpii'),
    ("datumaro-test-assets/assets/mpii_json_dataset", None),
    ("datumaro-test-assets/assets/mpii_json_dataset/dataset_with_numpy_files", 'datumaro:mpii_json'),
    ("datumaro-test-assets/assets/mpii_json_dataset/dataset_wo_numpy_files", 'datumaro:mpii_json'),
    ("datumaro-test-assets/assets/mvtec_dataset", 'datumaro:mvtec_classification,mvtec_detection,mvtec_segmentation'),
    ("datumaro-test-assets/assets/mvtec_dataset/category_0",
     'datumaro:mvtec_classification,mvtec_detection,mvtec_segmentation'),
    ("datumaro-test-assets/assets/nyu_depth_v2_dataset", None),
    ("datumaro-test-assets/assets/open_images_dataset", None),
    ("datumaro-test-assets/assets/open_images_dataset/v5", 'datumaro:open_images'),
    ("datumaro-test-assets/assets/open_images_dataset/v6", 'datumaro:open_images'),
    ("datumaro-test-assets/assets/roboflow_dataset", 'datumaro:dota,roboflow_voc,roboflow_yolo'),
    ("datumaro-test-assets/assets/roboflow_dataset/coco", 'coco'),
    ("datumaro-test-assets/assets/roboflow_dataset/createml", 'datumaro:roboflow_create_ml'),
    ("datumaro-test-assets/assets/roboflow_dataset/multiclass", 'datumaro:roboflow_multiclass'),
    ("datumaro-test-assets/assets/roboflow_dataset/tfrecord", None),
    ("datumaro-test-assets/assets/roboflow_dataset/voc", 'datumaro:roboflow_voc'),
    ("datumaro-test-assets/assets/roboflow_dataset/yolo", 'datumaro:roboflow_yolo'),
    ("datumaro-test-assets/assets/roboflow_dataset/yolo_obb", 'datumaro:dota'),
    ("datumaro-test-assets/assets/sampler", None),
    ("datumaro-test-assets/assets/segment_anything_dataset", 'datumaro:segment_anything'),
    ("datumaro-test-assets/assets/sly_pointcloud_dataset", 'datumaro:sly_pointcloud'),
    ("datumaro-test-assets/assets/sly_pointcloud_dataset/ds0", None),
    ("datumaro-test-assets/assets/synthetic_dataset", 'media'),
    ("datumaro-test-assets/assets/synthetic_dataset/images", 'media'),
    ("datumaro-test-assets/assets/synthia_dataset", None),
    ("datumaro-test-assets/assets/synthia_dataset/al", 'datumaro:synthia_al'),
    ("datumaro-test-assets/assets/synthia_dataset/rand", 'datumaro:synthia_rand'),
    ("datumaro-test-assets/assets/synthia_dataset/rand_custom_labelmap", None),
    ("datumaro-test-assets/assets/synthia_dataset/rand_meta_file", None),
    ("datumaro-test-assets/assets/synthia_dataset/sf", 'datumaro:synthia_sf'),
    ("datumaro-test-assets/assets/tabular_dataset", None),
    ("datumaro-test-assets/assets/tabular_dataset/adopt-a-buddy", None),
    ("datumaro-test-assets/assets/tabular_dataset/women-clothing", None),
    ("datumaro-test-assets/assets/tf_detection_api_dataset", None),
    ("datumaro-test-assets/assets/vgg_face2_dataset", 'datumaro:vgg_face2'),
    ("datumaro-test-assets/assets/vgg_face2_dataset/bb_landmark", None),
    ("datumaro-test-assets/assets/vgg_face2_dataset/test", 'media'),
    ("datumaro-test-assets/assets/vgg_face2_dataset/train", 'media'),
    ("datumaro-test-assets/assets/video_dataset", 'media'),
    ("datumaro-test-assets/assets/voc_dataset", None),
    ("datumaro-test-assets/assets/voc_dataset/voc_dataset1", 'datumaro:voc'),
    ("datumaro-test-assets/assets/voc_dataset/voc_dataset2", 'datumaro:voc'),
    ("datumaro-test-assets/assets/voc_dataset/voc_dataset3", 'datumaro:voc'),
    ("datumaro-test-assets/assets/vott_csv_dataset", None),
    ("datumaro-test-assets/assets/vott_csv_dataset/dataset", 'datumaro:vott_csv'),
    ("datumaro-test-assets/assets/vott_csv_dataset/dataset_with_meta_file", 'datumaro:vott_csv'),
    ("datumaro-test-assets/assets/vott_json_dataset", None),
    ("datumaro-test-assets/assets/vott_json_dataset/dataset", 'datumaro:vott_json'),
    ("datumaro-test-assets/assets/vott_json_dataset/dataset_with_meta_file", 'datumaro:vott_json'),
    ("datumaro-test-assets/assets/widerface_dataset", 'datumaro:wider_face'),
    ("datumaro-test-assets/assets/widerface_dataset/WIDER_train", 'media'),
    ("datumaro-test-assets/assets/widerface_dataset/WIDER_val", 'media'),
    ("datumaro-test-assets/assets/widerface_dataset/wider_face_split", 'datumaro:imagenet_txt'),
    ("datumaro-test-assets/assets/yolo_dataset", None),
    ("datumaro-test-assets/assets/yolo_dataset/annotations", 'datumaro:yolo'),
    ("datumaro-test-assets/assets/yolo_dataset/labels", 'yolo'),
    ("datumaro-test-assets/assets/yolo_dataset/strict", 'datumaro:yolo'),
    ("datumaro-test-assets/assets/cvat_dataset/for_images/export_project", 'cvat'),
    ("datumaro-test-assets/assets/cvat_dataset/for_images/export_task", 'cvat'),
]


def _enumerate(datasets: Path) -> set[str]:
    """Every folder the matrix must cover, found on disk."""
    found = [datasets / "coco128-yolo-lightly", datasets / "voc-raccoon"]
    found += [p for p in (datasets / "coco128-yolo-lightly").iterdir() if p.is_dir() and not p.name.startswith(".")]
    for example in (datasets / "labelme-examples/examples").iterdir():
        found += [example, *(p for p in example.iterdir() if p.is_dir())]
    keypoints = datasets / "mmpose-tests-keypoints/tests/data"
    found += [keypoints, *(p for p in keypoints.iterdir() if p.is_dir())]
    found.append(keypoints / "posetrack18/videos/000001_mpiinew_test")
    assets = datasets / "datumaro-test-assets/assets"
    for fmt in (p for p in assets.iterdir() if p.is_dir()):
        found += [fmt, *(p for p in fmt.iterdir() if p.is_dir())]
    found += [p for p in (assets / "cvat_dataset/for_images").iterdir() if p.is_dir()]
    return {p.relative_to(datasets).as_posix() for p in found}


def _outcome(choice: FormatChoice) -> str:
    """The reader's name, for datumaro with the Datumaro format(s) its reasons name."""
    name = choice.reader.name
    if name != "datumaro":
        return name
    for reason in choice.verdicts[0][1].reasons:
        if reason.startswith("Datumaro formats found: "):
            return "datumaro:" + reason.split(": ", 1)[1].replace(" ", "")
        if reason.startswith("flat VOC"):
            return "datumaro:voc"
        if reason.startswith("YOLO labels/"):
            return "datumaro:yolo"
    return name


def _detect(path: Path, readers: list) -> tuple[str | None, str]:
    try:
        choice = choose_format(path, readers)
    except FormatError as exc:
        first = str(exc).splitlines()[0]
        return None, first.split(": ", 1)[1] if ": " in first else first
    best = choice.verdicts[0][1]
    return _outcome(choice), f"{best.confidence:.2f} {'; '.join(best.reasons)}"


def test_detection_matrix_over_every_real_dataset(shared) -> None:
    datasets = shared.datasets()
    readers = list(plugins.format_readers().values())
    assert {r.name for r in readers} >= {"backup", "coco", "datumaro", "labelme", "vitens", "yolo"}
    listed = [rel for rel, _ in EXPECTED]
    assert len(listed) == len(set(listed)), "a folder is listed twice"
    on_disk = _enumerate(datasets)
    assert on_disk == set(listed), (
        f"matrix and shared data differ: not listed {sorted(on_disk - set(listed))}, "
        f"not on disk {sorted(set(listed) - on_disk)}"
    )
    start = time.monotonic()
    rows, wrong = [], []
    for rel, expected in EXPECTED:
        got, why = _detect(datasets / rel, readers)
        mark = "  " if got == expected else "XX"
        rows.append(f"{mark} {rel:<78} expected {expected!s:<28} got {got!s:<28} {why[:120]}")
        if got != expected:
            wrong.append(rel)
    elapsed = time.monotonic() - start
    table = "\n".join(rows)
    assert not wrong, f"{len(wrong)} of {len(EXPECTED)} folders detected wrongly (XX):\n{table}"
    assert elapsed < MATRIX_SECONDS, f"detection of the matrix took {elapsed:.1f} s:\n{table}"


@pytest.mark.parametrize("rel", ["voc-raccoon", "coco128-yolo-lightly/object_detection"])
def test_detection_of_one_real_dataset_is_quick(shared, rel: str) -> None:
    """A single detection (what every sc-import without --format does) takes well under a second."""
    readers = list(plugins.format_readers().values())
    path = shared.datasets(rel)
    choose_format(path, readers)  # warm: Datumaro's importer registry is built once per process
    start = time.monotonic()
    choose_format(path, readers)
    assert time.monotonic() - start < 1.0


#: Where sc-import's detection (``choose_dataset``) differs from one folder's: folders holding no
#: dataset themselves, read in the one folder inside that holds one (and said so).
FOUND_BELOW = {
    "datumaro-test-assets/assets/ava_dataset": ("datumaro", "frames"),
    "datumaro-test-assets/assets/cvat_dataset": ("datumaro", "for_video"),
    "datumaro-test-assets/assets/kitti_dataset/kitti_3d_with_subset": ("datumaro", "image_2"),
}


def test_sc_import_detection_agrees_with_the_matrix(shared) -> None:
    """``choose_dataset`` (one level down, the richer of several readers) over the same folders:
    the matrix's reader at the folder itself, except the folders of :data:`FOUND_BELOW`."""
    from sc_importers.formats import choose_dataset

    datasets = shared.datasets()
    readers = list(plugins.format_readers().values())
    wrong = []
    for rel, expected in EXPECTED:
        try:
            choice = choose_dataset(datasets / rel, readers)
            got = (choice.reader.name, (choice.path or datasets / rel).relative_to(datasets / rel).as_posix())
        except FormatError:
            got = None
        want = FOUND_BELOW.get(rel) or ((expected.split(":")[0], ".") if expected else None)
        if got != want:
            wrong.append(f"{rel}: expected {want}, got {got}")
    assert not wrong, "\n".join(wrong)
