"""The deck model: `load(path)` reads a Marp deck into slides, notes, directives and code blocks."""

from deck.model import Block, Comment, Deck, DeckError, Fence, Image, Piece, Slide, load

__all__ = ["Block", "Comment", "Deck", "DeckError", "Fence", "Image", "Piece", "Slide", "load"]
