"""Volunteer teams (志愿服务队): their management, members, join links and leaders."""
