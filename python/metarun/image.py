"""tf.image: image decoding and encoding, resizing and cropping, colour adjustments and
bounding boxes."""
