"""Neither protocol: a helper function and a class without the methods."""


def helper(x):
    return x


class Model:
    def predict(self, x):
        return x
