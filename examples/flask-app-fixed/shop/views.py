import hashlib
import hmac
import os
import secrets

import jwt
import requests
import yaml
from flask import Blueprint, current_app, jsonify, make_response, render_template, request
from werkzeug.security import check_password_hash, generate_password_hash

bp = Blueprint("shop", __name__)

PAYMENT_API_KEY = os.environ["PAYMENT_API_KEY"]


@bp.route("/")
def index():
    return render_template("index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        user = find_user(username)
        if user and check_password_hash(user.password_hash, password):
            token = secrets.token_urlsafe(24)
            resp = make_response(render_template("index.html"))
            resp.set_cookie("remember_token", token, secure=True, httponly=True, samesite="Lax")
            return resp
    return render_template("login.html")


@bp.route("/register", methods=["POST"])
def register():
    password = request.form["password"]
    digest = generate_password_hash(password)
    return render_template("index.html", digest=digest)


@bp.route("/webhook", methods=["POST"])
def webhook():
    signature = request.headers.get("X-Signature", "")
    expected_signature = current_app.config["WEBHOOK_SIG"]
    if hmac.compare_digest(signature, expected_signature):
        event = yaml.safe_load(request.get_data())
        return jsonify(event)
    return "bad signature", 400


@bp.route("/profile")
def profile():
    claims = jwt.decode(request.cookies["jwt"], current_app.config["JWT_KEY"], algorithms=["HS256"])
    avatar = requests.get("https://avatars.example.com/" + str(int(claims["sub"])), timeout=5)
    etag = hashlib.sha1(avatar.content, usedforsecurity=False).hexdigest()
    return render_template("index.html", etag=etag)


@bp.route("/upload", methods=["POST"])
def upload():
    f = request.files["photo"]
    f.save("/srv/uploads/photo.png")
    return "ok"


def find_user(username):
    return None


@bp.route("/receipt")
def receipt():
    # An .html template is autoescaped; a plain-text receipt would be sent as text/plain.
    return render_template("receipt.html", name=request.args.get("name", ""))
