"""Customers' orders and a back-office action, protected: each customer sees only their own orders,
and only a signed-in admin can start a backup."""
import subprocess

from flask import Blueprint, abort, render_template
from flask_login import LoginManager, current_user, login_required
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
    order = Order.query.filter_by(id=order_id, user_id=current_user.id).first_or_404()
    return render_template("order.html", order=order)


@orders.route("/admin/backup", methods=["POST"])
@login_required
def backup_database():
    if not current_user.is_admin:
        abort(403)
    subprocess.run(["pg_dump", "--file", "/srv/backups/shop.sql", "shop"], check=True)
    return "backup started"
