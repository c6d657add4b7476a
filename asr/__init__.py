"""Speech recognition: VAD endpointing and ASR engines."""
