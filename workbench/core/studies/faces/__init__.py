"""Case study "Faces": verification with a triplet-loss encoder, identification (k-NN), clustering.

No Qt here, and cv2 / dlib load lazily. The pieces:
  detect      FaceDetector (Haar, downscaled), crop_face, normalize_faces, blur_score, check_shot
  synth       generated identities (drawn people, augmented LFW photos) for tests and demos
  triplet     triplet_loss, mine_triplets (random / semi-hard / hard), TripletHead for the Trainer
  encoder     EncoderConfig, build_encoder_net, OwnEncoder, train_encoder
  dlib_encoder  DlibEncoder (optional pretrained), dlib_status
  evaluate    pair_distances, evaluate_pairs (ROC, EER, threshold), Verifier, Identifier, cluster_embeddings
  gallery     Gallery (people, PNG crops, .npy embeddings in the project folder)
  pipeline    FacePipeline (detect -> embed what is needed -> match), run_source
  live        LiveState, run_live (newest frame only; the panel's worker), demo_source
  workflow    load_people_folder, split_people, train_and_evaluate, cluster_folder
"""
from workbench.core.studies.faces.detect import (FaceBox, FaceDetector, blur_score, check_shot, crop_face,
                                                  normalize_faces, read_image)
from workbench.core.studies.faces.dlib_encoder import DlibEncoder, dlib_available, dlib_status
from workbench.core.studies.faces.encoder import (EncoderConfig, OwnEncoder, VerificationMetrics,
                                                   build_encoder_net, train_encoder)
from workbench.core.studies.faces.evaluate import (UNKNOWN, ClusterResult, Identifier, Match, VerificationReport,
                                                    Verifier, VerifyResult, cluster_embeddings, evaluate_embeddings,
                                                    evaluate_encoder, evaluate_pairs, pair_distances, suggest_k)
from workbench.core.studies.faces.gallery import EnrollReport, Gallery, Person
from workbench.core.studies.faces.live import LiveState, demo_source, open_live_source, run_live
from workbench.core.studies.faces.pipeline import FacePipeline, FaceResult, FrameFaces, label_of, run_source
from workbench.core.studies.faces.triplet import MINING, TripletHead, batch_triplet_loss, mine_triplets, triplet_loss
from workbench.core.studies.faces.workflow import (available_encoders, cluster_folder, encoder_dir,
                                                    load_people_folder, split_people, train_and_evaluate)

__all__ = [
    "FaceBox", "FaceDetector", "blur_score", "check_shot", "crop_face", "normalize_faces", "read_image",
    "DlibEncoder", "dlib_available", "dlib_status",
    "EncoderConfig", "OwnEncoder", "VerificationMetrics", "build_encoder_net", "train_encoder",
    "UNKNOWN", "ClusterResult", "Identifier", "Match", "VerificationReport", "Verifier", "VerifyResult",
    "cluster_embeddings", "evaluate_embeddings", "evaluate_encoder", "evaluate_pairs", "pair_distances", "suggest_k",
    "EnrollReport", "Gallery", "Person",
    "LiveState", "demo_source", "open_live_source", "run_live",
    "FacePipeline", "FaceResult", "FrameFaces", "label_of", "run_source",
    "MINING", "TripletHead", "batch_triplet_loss", "mine_triplets", "triplet_loss",
    "available_encoders", "cluster_folder", "encoder_dir", "load_people_folder", "split_people", "train_and_evaluate",
]
