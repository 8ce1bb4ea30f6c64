#!/usr/bin/env python
# install_requires=["not-this==0.0"] in a comment
from setuptools import setup, find_packages

DOCS = "install_requires = ['nor-this']"

TEST_REQS = [
    'pytest>=7',
]

setup(
    name="shop",
    version="1.0",
    packages=find_packages(),
    install_requires=[
        "stripe==5.4.0",
        'requests>=2.19,'
        '<3',  # implicit concatenation
        r"six",
        """typing-extensions; python_version < '3.10'""",
    ],
    extras_require={
        "test": TEST_REQS,
        "docs": ["sphinx==7.2.6"],
    },
)
