"""Case study "Faces": verification, identification (k-NN) and clustering of real faces.

No Qt here, and cv2 / dlib load lazily. The pieces:
  dlib_models   where dlib and its .dat files are (found by path), dlib_status
  detect        FaceDetector interface: HaarDetector, DlibHogDetector (default), DlibCnnDetector;
                make_detector, crop_face, normalize_faces, blur_score, check_shot
  align         FaceAligner (dlib 5-point landmarks), FaceFinder (detect + align -> chips)
  realfaces     real photos that ship offline: augmented LFW identities, the astronaut, a collage,
                detection recall against true boxes
  synth         generated identities (drawn people) for tests and demos
  triplet       triplet_loss, mine_triplets (random / semi-hard / hard), TripletHead for the Trainer
  encoder       EncoderConfig, build_encoder_net (scratch or MobileNetV2), OwnEncoder, train_encoder,
                default_encoder_kind (dlib where installed)
  dlib_encoder  DlibEncoder (pretrained ResNet, the default)
  evaluate      pair_distances, evaluate_pairs (ROC, EER), Verifier, Identifier, cluster_embeddings
  protocol      split_people (train / validation / test people), honest_report, evaluate_split,
                train_and_evaluate
  gallery       Gallery (people, PNG chips, .npy embeddings in the project folder; validated names)
  pipeline      FacePipeline (detect -> embed what is needed -> match), run_source
  live          LiveState, run_live (newest frame only; the panel's worker), demo_source
  workflow      face_data (where photos come from), train_encoder_on, evaluate_encoder_on, cluster_folder
"""
from workbench.core.studies.faces.align import (CHIP_SIZE, FaceAligner, FaceFinder, FoundFace, aligner_status,
                                                 chip_from_crop, make_finder)
from workbench.core.studies.faces.detect import (DETECTORS, DlibCnnDetector, DlibHogDetector, FaceBox, FaceDetector,
                                                  HaarDetector, blur_score, check_shot, crop_face,
                                                  default_detector_kind, detector_status, make_detector,
                                                  normalize_faces, read_image)
from workbench.core.studies.faces.dlib_encoder import DlibEncoder, dlib_available, dlib_status
from workbench.core.studies.faces.encoder import (ENCODERS, EncoderConfig, OwnEncoder, VerificationMetrics,
                                                   build_encoder_net, default_encoder_kind, encoder_factory,
                                                   train_encoder)
from workbench.core.studies.faces.evaluate import (UNKNOWN, ClusterResult, Identifier, Match, VerificationReport,
                                                    Verifier, VerifyResult, cluster_embeddings, evaluate_embeddings,
                                                    evaluate_encoder, evaluate_pairs, pair_distances, suggest_k)
from workbench.core.studies.faces.gallery import EnrollReport, Gallery, Person
from workbench.core.studies.faces.live import LiveState, demo_source, open_live_source, run_live
from workbench.core.studies.faces.pipeline import FacePipeline, FaceResult, FrameFaces, label_of, run_source
from workbench.core.studies.faces.protocol import (HonestReport, PeopleSplit, evaluate_split, honest_report,
                                                    split_people, train_and_evaluate)
from workbench.core.studies.faces.realfaces import FaceData, collage, detection_recall, real_identities
from workbench.core.studies.faces.triplet import MINING, TripletHead, batch_triplet_loss, mine_triplets, triplet_loss
from workbench.core.studies.faces.workflow import (DATA_SOURCES, available_encoders, cluster_folder, encoder_dir,
                                                    evaluate_encoder_on, face_data, load_people_folder,
                                                    train_encoder_on)

__all__ = [
    "CHIP_SIZE", "FaceAligner", "FaceFinder", "FoundFace", "aligner_status", "chip_from_crop", "make_finder",
    "DETECTORS", "DlibCnnDetector", "DlibHogDetector", "FaceBox", "FaceDetector", "HaarDetector", "blur_score",
    "check_shot", "crop_face", "default_detector_kind", "detector_status", "make_detector", "normalize_faces",
    "read_image",
    "DlibEncoder", "dlib_available", "dlib_status",
    "ENCODERS", "EncoderConfig", "OwnEncoder", "VerificationMetrics", "build_encoder_net", "default_encoder_kind",
    "encoder_factory", "train_encoder",
    "UNKNOWN", "ClusterResult", "Identifier", "Match", "VerificationReport", "Verifier", "VerifyResult",
    "cluster_embeddings", "evaluate_embeddings", "evaluate_encoder", "evaluate_pairs", "pair_distances", "suggest_k",
    "EnrollReport", "Gallery", "Person",
    "LiveState", "demo_source", "open_live_source", "run_live",
    "FacePipeline", "FaceResult", "FrameFaces", "label_of", "run_source",
    "HonestReport", "PeopleSplit", "evaluate_split", "honest_report", "split_people", "train_and_evaluate",
    "FaceData", "collage", "detection_recall", "real_identities",
    "MINING", "TripletHead", "batch_triplet_loss", "mine_triplets", "triplet_loss",
    "DATA_SOURCES", "available_encoders", "cluster_folder", "encoder_dir", "evaluate_encoder_on", "face_data",
    "load_people_folder", "train_encoder_on",
]
