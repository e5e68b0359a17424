"""What a trained network sees: adversarial examples and attributions, via Captum, as numpy probes."""
