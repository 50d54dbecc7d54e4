"""Peer detectors for the tabular-anomaly benchmark (scikit-learn, never a dependency of the library).

Usage: tabular_anomaly_peers.py FOLDER
FOLDER holds the splits written by the C# benchmark: NAME.train.csv and NAME.test.csv, already standardised on the
training part, the last column being the outlier label (1 = outlier; not used for training). For every split and every
peer it prints one tab-separated line: name, peer, ROC-AUC, average precision, training seconds.
"""
import glob
import os
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM


def peers(seed):
    # Library defaults of each peer, as PyOD wraps them; negated score_samples = higher is more anomalous.
    return [
        ("IsolationForest", IsolationForest(random_state=seed)),
        ("LocalOutlierFactor", LocalOutlierFactor(novelty=True)),
        ("OneClassSVM", OneClassSVM()),
    ]


def main(folder):
    for train_path in sorted(glob.glob(os.path.join(folder, "*.train.csv"))):
        name = os.path.basename(train_path)[: -len(".train.csv")]
        train = np.loadtxt(train_path, delimiter=",", ndmin=2)
        test = np.loadtxt(os.path.join(folder, name + ".test.csv"), delimiter=",", ndmin=2)
        x_train, x_test, y_test = train[:, :-1], test[:, :-1], test[:, -1]
        seed = int(name.rsplit("-", 1)[1]) if "-" in name else 0
        for peer, model in peers(seed):
            start = time.perf_counter()
            model.fit(x_train)
            seconds = time.perf_counter() - start
            scores = -model.score_samples(x_test)
            print(f"{name}\t{peer}\t{roc_auc_score(y_test, scores):.6f}\t{average_precision_score(y_test, scores):.6f}\t{seconds:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
