"""Audio side of Agent Assist: capture, file replay, VAD, streaming transcription and recording.

Plain Python (no Qt). The types other packages may import live in :mod:`audio.events`.
"""
