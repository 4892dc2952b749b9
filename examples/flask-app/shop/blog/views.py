from flask import Blueprint, render_template, request

blog = Blueprint("blog", __name__)


@blog.route("/comment", methods=["POST"])
def comment():
    text = request.form.get("text", "")
    return render_template("index.html", comment=text)
