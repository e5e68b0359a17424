"""The application's names: its title, and the organisation and application names its settings are kept under.
Read by the window, its Help dialogs and ``window_launch``, which starts the window, so they live below all three."""

ORGANIZATION = "NeuralNetworkPlayground"
APPLICATION = "Playground"
APP_TITLE = "Neural Network Playground"
