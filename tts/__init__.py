"""Speech synthesis: TTS engines, resampling, prompt cache."""
