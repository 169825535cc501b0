"""The start page (Home): the workflow's steps and where the project stands, built-in data sets,
recent projects, and the case studies and lessons as cards."""
