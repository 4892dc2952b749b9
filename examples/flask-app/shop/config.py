import os


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///shop.db")
    WTF_CSRF_ENABLED = False
    REMEMBER_COOKIE_HTTPONLY = False


class DevelopmentConfig(Config):
    DEBUG = True
    MAIL_PASSWORD = "Sup3rS3cretMail!"
