"""A small shop, deliberately full of Flask security mistakes (flaskscan's demo target)."""
import os

from flask import Flask
from flask_cors import CORS
from flask_talisman import Talisman

from .blog.views import blog
from .orders import db, login_manager, orders
from .tools import tools
from .views import bp


def create_app():
    app = Flask(__name__)
    app.config.from_object("shop.config.DevelopmentConfig")
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-secret")
    app.config.update(SESSION_COOKIE_SECURE=False, SESSION_COOKIE_SAMESITE=None)
    app.config["WTF_CSRF_SECRET_KEY"] = os.urandom(16)
    app.jinja_env.autoescape = False
    CORS(app, supports_credentials=True)
    Talisman(app, force_https=False, content_security_policy={"script-src": "'self' 'unsafe-inline'"})
    db.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(blog, url_prefix="/blog")
    app.register_blueprint(tools, url_prefix="/tools")
    app.register_blueprint(orders)
    return app
