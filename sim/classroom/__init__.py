"""The classroom: the browser demo (Mesa SolaraViz), and playing one actor in the terminal."""
