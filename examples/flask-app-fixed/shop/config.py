import os


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///shop.db")
    WTF_CSRF_ENABLED = True
    REMEMBER_COOKIE_HTTPONLY = True


class ProductionConfig(Config):
    DEBUG = False
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
