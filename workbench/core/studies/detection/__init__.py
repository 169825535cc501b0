"""Case study 5: object detection with the YOLO loss, and segmentation.

    ds = generate_scenes(2000, 96)                        # scenes.py: exact boxes and masks, no download
    ds = load_detection("my_set/")                        # formats.py: YOLO txt, COCO JSON, Pascal VOC XML
    save_detection(ds, "out/", "coco")
    out = train_detector(ds, lambda_noobj=0.5, sqrt_wh=True)   # model.py: YOLO-v1 head, the common Trainer
    out.test["map50"], out.baseline["map50"], out.gallery      # evaluate.py: pycocotools mAP, mean-box baseline
    out.detector.predict(images)                         # decode: threshold + OpenCV NMS
    seg = train_segmenter(ds)                             # segment.py: small U-Net, weighted CE + Dice, IoU / Dice
    LiveDetector(out.detector, open_camera("camera:0")).run(cb)  # live.py: newest frame wins
    doc = BoxDocument("photos/"); doc.add([x1, y1, x2, y2], 0); doc.undo(); doc.save()   # annotate.py

The loss (loss.py) is the slide's, term by term; torch and cv2 are imported inside functions.
"""

# The segmentation defaults the Segment tab and `workbench detect segment` start from (chosen on
# validation scenes; the README gives the held-out figures): a 48 px U-Net input, cross-entropy
# weighted by 1 / sqrt(class pixel share) plus the Dice loss, Adam at 2e-3. Here, not in segment.py,
# so that the command line and the panel read them without importing torch.
SEGMENT_DEFAULTS = {"size": 48, "width": 16, "epochs": 12, "batch_size": 16, "lr": 2e-3, "dice_weight": 1.0,
                    "balanced": True}
