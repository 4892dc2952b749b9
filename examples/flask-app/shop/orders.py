"""Customers' orders and a back-office action: access-control mistakes (FS413, FS414)."""
import subprocess

from flask import Blueprint, render_template
from flask_login import LoginManager, login_required
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
login_manager = LoginManager()
orders = Blueprint("orders", __name__)


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    total = db.Column(db.Numeric(10, 2))
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))


@orders.route("/orders/<int:order_id>")
@login_required
def show_order(order_id):
    # Any signed-in customer can read any order by changing the number in the URL (IDOR).
    order = Order.query.get_or_404(order_id)
    return render_template("order.html", order=order)


@orders.route("/admin/backup", methods=["POST"])
def backup_database():
    # An admin action anyone can trigger: no login, no role.
    subprocess.run(["pg_dump", "--file", "/srv/backups/shop.sql", "shop"], check=True)
    return "backup started"
