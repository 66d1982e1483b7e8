"""Disasters (災害) of a municipality: register, edit, choose the damage rule versions."""
