"""Wire shapes shared by the server and the clients: request/response models, routes, errors."""
