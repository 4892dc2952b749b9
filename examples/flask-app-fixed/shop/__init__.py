"""The demo shop done right: flaskscan reports nothing here."""
import os

from flask import Flask
from flask_cors import CORS
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from .blog.views import blog
from .orders import db, login_manager, orders
from .tools import tools
from .views import bp

csrf = CSRFProtect()


def create_app():
    app = Flask(__name__)
    app.config.from_object("shop.config.ProductionConfig")
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["WTF_CSRF_SECRET_KEY"] = os.environ["WTF_CSRF_SECRET_KEY"]
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    csrf.init_app(app)
    CORS(app, origins=["https://shop.example.com"], supports_credentials=True)
    Talisman(app, content_security_policy={"default-src": "'self'", "script-src": "'self'"})
    db.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(blog, url_prefix="/blog")
    app.register_blueprint(tools, url_prefix="/tools")
    app.register_blueprint(orders)
    return app
