"""Audio as data (no devices here): signal processing (dsp), WAV files (wav), generated noise (noise)."""

DEFAULT_SAMPLE_RATE = 16000
