"""nst: neural style transfer (Gatys et al.) on a TensorFlow VGG-16, built to be taught.

One module a concept, no Streamlit here. Which module holds what (every formula, every
setting and every file of this package, one line each) is the README's "Layout" section:
the one list, kept there so that no second copy drifts from it.
"""
