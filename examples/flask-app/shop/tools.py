"""Back-office tools: each view lets request data reach a dangerous sink (the taint rules)."""
import os
import pickle
import sqlite3
import subprocess
import traceback

import ldap3
import requests
from flask import Blueprint, redirect, render_template_string, request, send_file, session
from lxml import etree
from pymongo import MongoClient

tools = Blueprint("tools", __name__)
DB_PATH = "shop.db"
UPLOADS = "/srv/shop/uploads"
mongo = MongoClient().shop
directory = ldap3.Connection("ldap://ldap.example.com")
catalogue = etree.parse("catalogue.xml")


def query(sql):
    return sqlite3.connect(DB_PATH).execute(sql).fetchall()


def count_rows(table):
    conn = sqlite3.connect(DB_PATH)
    return conn.execute("SELECT COUNT(*) FROM %s" % table).fetchone()


@tools.route("/orders")
def orders():
    customer = request.args.get("customer", "")
    return {"orders": query(f"SELECT * FROM orders WHERE customer = '{customer}'")}


@tools.route("/ping")
def ping():
    host = request.args["host"]
    return {"output": subprocess.check_output(f"ping -c 1 {host}", shell=True).decode()}


@tools.route("/calc")
def calc():
    return {"result": eval(request.args["expr"])}


@tools.route("/greet")
def greet():
    return render_template_string("<h1>Hello " + request.args.get("name", "") + "</h1>")


@tools.route("/staff")
def staff():
    directory.search("dc=shop,dc=example", f"(uid={request.args['uid']})")
    return {"entries": len(directory.entries)}


@tools.route("/catalogue")
def catalogue_search():
    prices = catalogue.xpath(f"//product[@name='{request.args['name']}']/price/text()")
    return {"prices": [str(p) for p in prices]}


@tools.route("/customers", methods=["POST"])
def customers():
    return {"found": mongo.customers.count_documents(request.get_json())}


@tools.route("/search")
def search():
    term = request.args.get("q", "")
    return f"<h1>Results for {term}</h1>"


@tools.route("/theme", methods=["POST"])
def theme():
    session["theme"] = request.form["theme"]
    return redirect("/")


@tools.route("/report")
def report():
    try:
        return {"orders": count_rows("orders")}
    except Exception:
        return traceback.format_exc(), 500


@tools.route("/continue")
def continue_to():
    return redirect(request.args.get("next", "/"))


@tools.route("/invoices/<path:name>")
def invoice(name):
    return send_file(os.path.join(UPLOADS, name))


@tools.route("/preview")
def preview():
    return {"status": requests.get(request.args["url"], timeout=5).status_code}


@tools.route("/cart/restore", methods=["POST"])
def restore_cart():
    cart = pickle.loads(request.get_data())
    return {"items": len(cart)}


@tools.route("/import", methods=["POST"])
def import_products():
    root = etree.fromstring(request.get_data())
    return {"products": len(root)}
