"""Settings helpers used across the project."""
import os

from django.conf import settings


def get_setting(name, default=None):
    return getattr(settings, name, default)


def env(name, default=None):
    return os.environ.get(name, default)


def or_empty(value):
    return value or ""  # expect: webhook/empty-secret
