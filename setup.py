"""Build script: the metadata lives in setup.cfg; this file only declares the C kernel.

The kernel (policytag/_kernel.c, the classifier's scoring loop) is optional:
where it cannot be compiled, the package installs without it and scores with
numpy, with the same results, more slowly.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("policytag._kernel", ["policytag/_kernel.c"], optional=True)])
