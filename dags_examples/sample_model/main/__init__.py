from .model import IrisClassifier


def load_model():
    return IrisClassifier()
