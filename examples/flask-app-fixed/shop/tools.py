"""Back-office tools done right: request data is parameterised, escaped, allow-listed or typed."""
import ast
import json
import logging
import sqlite3
import subprocess
from urllib.parse import quote, urlparse

import ldap3
import requests
from defusedxml.lxml import fromstring
from flask import Blueprint, redirect, render_template_string, request, send_from_directory, session
from ldap3.utils.conv import escape_filter_chars
from lxml import etree
from markupsafe import escape
from pymongo import MongoClient

tools = Blueprint("tools", __name__)
log = logging.getLogger(__name__)
DB_PATH = "shop.db"
UPLOADS = "/srv/shop/uploads"
THEMES = {"light", "dark"}
mongo = MongoClient().shop
directory = ldap3.Connection("ldap://ldap.example.com")
catalogue = etree.parse("catalogue.xml")


def query(sql, params=()):
    return sqlite3.connect(DB_PATH).execute(sql, params).fetchall()


def count_orders():
    conn = sqlite3.connect(DB_PATH)
    return conn.execute("SELECT COUNT(*) FROM orders").fetchone()


@tools.route("/orders")
def orders():
    customer = request.args.get("customer", "")
    return {"orders": query("SELECT * FROM orders WHERE customer = ?", (customer,))}


@tools.route("/ping")
def ping():
    host = request.args["host"]
    return {"output": subprocess.check_output(["ping", "-c", "1", host]).decode()}


@tools.route("/calc")
def calc():
    return {"result": ast.literal_eval(request.args["expr"])}


@tools.route("/greet")
def greet():
    return render_template_string("<h1>Hello {{ name }}</h1>", name=request.args.get("name", ""))


@tools.route("/staff")
def staff():
    directory.search("dc=shop,dc=example", f"(uid={escape_filter_chars(request.args['uid'])})")
    return {"entries": len(directory.entries)}


@tools.route("/catalogue")
def catalogue_search():
    prices = catalogue.xpath("//product[@name=$name]/price/text()", name=request.args["name"])
    return {"prices": [str(p) for p in prices]}


@tools.route("/customers", methods=["POST"])
def customers():
    name = str(request.get_json().get("name", ""))
    return {"found": mongo.customers.count_documents({"name": name})}


@tools.route("/search")
def search():
    term = request.args.get("q", "")
    return f"<h1>Results for {escape(term)}</h1>"


@tools.route("/theme", methods=["POST"])
def theme():
    choice = request.form["theme"]
    if choice in THEMES:
        session["theme"] = choice
    return redirect("/")


@tools.route("/report")
def report():
    try:
        return {"orders": count_orders()}
    except Exception:
        log.exception("report failed")
        return "Internal error", 500


@tools.route("/continue")
def continue_to():
    target = request.args.get("next", "/")
    if urlparse(target).netloc:
        target = "/"
    return redirect(target)


@tools.route("/invoices/<path:name>")
def invoice(name):
    return send_from_directory(UPLOADS, name)


@tools.route("/preview")
def preview():
    url = f"https://previews.example.com/render?page={quote(request.args['page'])}"
    return {"status": requests.get(url, timeout=5).status_code}


@tools.route("/cart/restore", methods=["POST"])
def restore_cart():
    cart = json.loads(request.get_data())
    return {"items": len(cart)}


@tools.route("/import", methods=["POST"])
def import_products():
    root = fromstring(request.get_data())
    return {"products": len(root)}
