"""nst: neural style transfer (Gatys et al.) on a TensorFlow VGG-16, built to be taught.

Modules, one a concept: ``weights`` (where VGG-16 comes from), ``vgg`` (feature
extractor), ``losses`` (content, Gram, style, TV, total), ``config`` (settings
and presets), ``optimize`` (the loop as a generator of progress events),
``images`` (load/validate/colour), ``pipeline`` (folders in, data/gen_N out),
``samples`` (bundled images), ``toy`` (the dog example). No Streamlit here.
"""
