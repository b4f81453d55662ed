// placeholder until the Jinja interpreter lands
