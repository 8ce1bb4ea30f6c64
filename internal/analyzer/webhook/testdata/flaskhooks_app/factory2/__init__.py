"""App factory: registers the signature check; names no payment provider."""
from flask import Flask

from .security import check_signature
from .views import bp


def create_app():
    app = Flask(__name__)
    app.before_request(check_signature)
    app.register_blueprint(bp)
    return app
