from setuptools import setup
setup(
    install_requires=[
        "stripe==5.4.0",
        get_dep(),
        f"requests=={VERSION}",
        "ok==1.0",
        "unterminated
