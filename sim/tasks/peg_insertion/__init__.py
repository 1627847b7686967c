"""Peg insertion and placement with visuotactile fingers (TacSL)."""
