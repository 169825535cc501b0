"""Case study 5: object detection with the YOLO loss, and segmentation.

    ds = generate_scenes(2000, 96)                        # scenes.py: exact boxes and masks, no download
    ds = load_detection("my_set/")                        # formats.py: YOLO txt, COCO JSON, Pascal VOC XML
    save_detection(ds, "out/", "coco")
    out = train_detector(ds, lambda_noobj=0.5, sqrt_wh=True)   # model.py: YOLO-v1 head, the common Trainer
    out.test["map50"], out.baseline["map50"], out.gallery      # evaluate.py: pycocotools mAP, mean-box baseline
    out.detector.predict(images)                         # decode: threshold + OpenCV NMS
    seg = train_segmenter(ds)                             # segment.py: small U-Net, CE (+ Dice), IoU / Dice
    LiveDetector(out.detector, open_camera("camera:0")).run(cb)  # live.py: newest frame wins
    doc = BoxDocument("photos/"); doc.add([x1, y1, x2, y2], 0); doc.undo(); doc.save()   # annotate.py

The loss (loss.py) is the slide's, term by term; torch and cv2 are imported inside functions.
"""
