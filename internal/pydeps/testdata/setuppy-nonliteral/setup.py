from setuptools import setup

with open("requirements.txt") as f:
    reqs = f.read().splitlines()

setup(
    name="shop",
    install_requires=reqs + ["stripe==5.4.0"],
)
