"""The Qt app: windows, the layer builder, plot panels, the training thread."""
