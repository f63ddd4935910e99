#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Tiny TCP/UDP echo for the gateway tests.
#   echo.py server PORT [NAME]     TCP and UDP on PORT; answers
#                                  "NAME saw <peer ip>:<peer port> said <data>"
#   echo.py client tcp|udp DST PORT SPORT DATA
#                                  sends DATA from source port SPORT, prints
#                                  the answer (exit 1 without one in 10 s)
import socket
import sys
import threading


def answer(name, peer, data):
    return ("%s saw %s:%d said %s" % (name, peer[0], peer[1], data.decode())).encode()


def tcp_server(port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen(16)
    while True:
        c, peer = s.accept()
        c.settimeout(5)
        try:
            data = c.recv(512)
            c.sendall(answer(name, peer, data))
        except OSError:
            pass
        c.close()


def udp_server(port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", port))
    while True:
        data, peer = s.recvfrom(512)
        s.sendto(answer(name, peer, data), peer)


def client(proto, dst, port, sport, data):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", sport))
    s.settimeout(10)
    try:
        if proto == "tcp":
            s.connect((dst, port))
            s.sendall(data.encode())
            print(s.recv(512).decode())
        else:
            s.sendto(data.encode(), (dst, port))
            print(s.recvfrom(512)[0].decode())
    except OSError as e:
        print("no answer: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        port = int(sys.argv[2])
        name = sys.argv[3] if len(sys.argv) > 3 else "server"
        threading.Thread(target=udp_server, args=(port, name), daemon=True).start()
        tcp_server(port, name)
    else:
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
