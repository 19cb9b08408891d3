from smartprod.settings.base import *  # noqa: F403
from smartprod.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
