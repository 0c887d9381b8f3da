"""A small real frogml model: logistic regression on the iris data set shipped with scikit-learn."""

import os

import frogml
import pandas as pd
from frogml import FrogMlModel
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


class IrisClassifier(FrogMlModel):
    def __init__(self):
        self.classifier = None

    def build(self):
        data = load_iris()
        x = pd.DataFrame(data.data, columns=FEATURES)
        x_train, x_test, y_train, y_test = train_test_split(x, data.target, test_size=0.3, random_state=7)
        # Build env vars tune the run: a smaller C regularises harder (and scores lower).
        c = float(os.environ.get("IRIS_C", "1.0"))
        self.classifier = LogisticRegression(C=c, max_iter=500).fit(x_train, y_train)
        score = f1_score(y_test, self.classifier.predict(x_test), average="macro")
        frogml.log_param({"C": c})
        frogml.log_metric({"f1_score": score})

    @frogml.api()
    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"species": self.classifier.predict(df[FEATURES])})
