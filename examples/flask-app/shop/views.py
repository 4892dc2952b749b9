import hashlib
import random
import string

import jwt
import requests
import yaml
from flask import Blueprint, current_app, make_response, render_template, request

bp = Blueprint("shop", __name__)

ADMINS = {"admin": "hunter2"}
PAYMENT_API_KEY = "sk_live_51HqLyjWDarjtT1zdp7dcQ9"


@bp.route("/")
def index():
    return render_template("index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        if ADMINS.get(username) == password:
            token = "".join(random.choice(string.ascii_letters) for _ in range(24))
            resp = make_response(render_template("index.html"))
            resp.set_cookie("remember_token", token)
            return resp
    return render_template("login.html")


@bp.route("/register", methods=["POST"])
def register():
    password = request.form["password"]
    digest = hashlib.md5(password.encode()).hexdigest()
    return render_template("index.html", digest=digest)


@bp.route("/webhook", methods=["POST"])
def webhook():
    signature = request.headers.get("X-Signature")
    expected_signature = current_app.config["WEBHOOK_SIG"]
    if signature == expected_signature:
        event = yaml.load(request.get_data())
        return str(event)
    return "bad signature", 400


@bp.route("/profile")
def profile():
    claims = jwt.decode(request.cookies["jwt"], options={"verify_signature": False})
    avatar = requests.get("https://avatars.example.com/" + claims["sub"], verify=False)
    etag = hashlib.sha1(avatar.content).hexdigest()
    return render_template("index.html", etag=etag)


@bp.route("/upload", methods=["POST"])
def upload():
    f = request.files["photo"]
    f.save("/srv/uploads/photo.png")
    return "ok"
