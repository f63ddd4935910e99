// SPDX-License-Identifier: GPL-2.0
/* Links: one RTM_NEWLINK builder (link_msg) serves creation and every
 * change; RTM_GETLINK and RTM_DELLINK share it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "nl/link.h"

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	/* Every table here is sized IFLA_MAX + 1, the largest of the kinds
	 * parsed (links, link info, VRF data). */
	if (mnl_attr_get_type(a) <= IFLA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *li[IFLA_MAX + 1] = { 0 };
	const struct nlattr *data[IFLA_MAX + 1] = { 0 };

	memset(l, 0, sizeof(*l));
	if (mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb) < 0)
		return -EINVAL;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->deleted = nlh->nlmsg_type == RTM_DELLINK;
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		l->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_IFALIAS])
		snprintf(l->alias, sizeof(l->alias), "%s", mnl_attr_get_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_LINK])
		l->link = mnl_attr_get_u32(tb[IFLA_LINK]);
	l->type = ifi->ifi_type;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac)) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(l->mac));
		l->has_mac = true;
	}
	if (tb[IFLA_STATS64] &&
	    mnl_attr_get_payload_len(tb[IFLA_STATS64]) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]), sizeof(st));
		l->rx_packets = st.rx_packets;
		l->rx_bytes = st.rx_bytes;
		l->tx_packets = st.tx_packets;
		l->tx_bytes = st.tx_bytes;
		l->rx_dropped = st.rx_dropped;
		l->tx_dropped = st.tx_dropped;
	}
	if (!tb[IFLA_LINKINFO] || mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, li) < 0 ||
	    !li[IFLA_INFO_KIND])
		return 0;
	snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(li[IFLA_INFO_KIND]));
	if (!strcmp(l->kind, "vrf") && li[IFLA_INFO_DATA] &&
	    mnl_attr_parse_nested(li[IFLA_INFO_DATA], attr_cb, data) >= 0 && data[IFLA_VRF_TABLE])
		l->vrf_table = mnl_attr_get_u32(data[IFLA_VRF_TABLE]);
	if (!strcmp(l->kind, "vlan") && li[IFLA_INFO_DATA] &&
	    mnl_attr_parse_nested(li[IFLA_INFO_DATA], attr_cb, data) >= 0 && data[IFLA_VLAN_ID])
		l->vlan_id = mnl_attr_get_u16(data[IFLA_VLAN_ID]);
	return 0;
}

static struct nlmsghdr *link_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				 uint32_t ifindex, struct ifinfomsg **ifip)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (ifip)
		*ifip = ifi;
	return nlh;
}

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	return nl_link_parse(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* The ACK ends the exchange after the one RTM_NEWLINK answer. */
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_ACK, ifindex, NULL);

	return nl_transact(nl, nlh, link_cb, out);
}

int nl_link_get_name(struct nl *nl, const char *name, struct nl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_ACK, 0, NULL);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_transact(nl, nlh, link_cb, out);
}

static int link_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l = nl_vec_push(arg);
	if (l && nl_link_parse(nlh, l) < 0)
		((struct nl_vec *)arg)->n--;
	return MNL_CB_OK;
}

int nl_link_dump(struct nl *nl, struct nl_link **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_DUMP, 0, NULL);

	return nl_dump(nl, nlh, link_dump_cb, sizeof(struct nl_link), out, n);
}

/* A new link of a kind, with IFLA_INFO_DATA opened for its attributes. */
static struct nlmsghdr *new_link(struct nl *nl, char *buf, const char *name, const char *kind,
				 struct nlattr **info, struct nlattr **data)
{
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK,
					NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, NULL);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	*data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	return nlh;
}

static int new_link_end(struct nl *nl, struct nlmsghdr *nlh, struct nlattr *info,
			struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_add_vlan(struct nl *nl, uint32_t parent, uint16_t vlan, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data;
	struct nlmsghdr *nlh = new_link(nl, buf, name, "vlan", &info, &data);

	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vlan);
	/* IFLA_LINK belongs to the link, outside the nests: close them first. */
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_put_u32(nlh, IFLA_LINK, parent);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_add_vrf(struct nl *nl, const char *name, uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data;
	struct nlmsghdr *nlh = new_link(nl, buf, name, "vrf", &info, &data);

	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, table);
	return new_link_end(nl, nlh, info, data);
}

int nl_link_add_veth(struct nl *nl, const char *name, const char *peer, uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data, *pinfo;
	struct nlmsghdr *nlh = new_link(nl, buf, name, "veth", &info, &data);
	struct ifinfomsg *pifi;

	pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is described by an ifinfomsg followed by its attributes. */
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_del(struct nl *nl, uint32_t ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, link_msg(nl, buf, RTM_DELLINK, NLM_F_ACK, ifindex, NULL), NULL,
			   NULL);
}

/* ---- changes to an existing link ---- */

static struct nlmsghdr *set_link(struct nl *nl, char *buf, uint32_t ifindex,
				 struct ifinfomsg **ifi)
{
	return link_msg(nl, buf, RTM_NEWLINK, NLM_F_ACK, ifindex, ifi);
}

int nl_link_set_up(struct nl *nl, uint32_t ifindex)
{
	return nl_link_set_state(nl, ifindex, true);
}

int nl_link_set_state(struct nl *nl, uint32_t ifindex, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = set_link(nl, buf, ifindex, &ifi);

	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = set_link(nl, buf, ifindex, NULL);

	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_set_master(struct nl *nl, uint32_t ifindex, uint32_t master)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = set_link(nl, buf, ifindex, NULL);

	mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_set_alias(struct nl *nl, uint32_t ifindex, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = set_link(nl, buf, ifindex, NULL);

	mnl_attr_put_str(nlh, IFLA_IFALIAS, alias);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_set_mac(struct nl *nl, uint32_t ifindex, const uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = set_link(nl, buf, ifindex, NULL);

	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* ---- settings outside rtnetlink ---- */

static int sysctl_path(char *path, size_t len, const char *family, const char *dev,
		       const char *key)
{
	int n = snprintf(path, len, "/proc/sys/net/%s/conf/%s/%s", family, dev, key);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sysctl_dev_set(const char *family, const char *dev, const char *key, int val)
{
	char path[160], cur[16] = "", want[16];
	int fd, n, ret;

	ret = sysctl_path(path, sizeof(path), family, dev, key);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(want, sizeof(want), "%d\n", val);
	if (read(fd, cur, sizeof(cur) - 1) > 0 && !strcmp(cur, want))
		goto out;
	ret = pwrite(fd, want, (size_t)n, 0) == n ? 1 : -errno;
out:
	close(fd);
	return ret;
}

int sysctl_dev_get(const char *family, const char *dev, const char *key, int *val)
{
	char path[160], cur[16] = "";
	int fd, ret;
	ssize_t n;

	ret = sysctl_path(path, sizeof(path), family, dev, key);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	ret = n < 0 ? -errno : sscanf(cur, "%d", val) == 1 ? 0 : -EINVAL;
	close(fd);
	return ret;
}

static int ethtool(const char *dev, struct ethtool_value *ev)
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	if (strlen(dev) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, dev);
	ifr.ifr_data = (void *)ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int nl_link_gro_get(const char *dev)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GGRO };
	int ret = ethtool(dev, &ev);

	return ret < 0 ? ret : !!ev.data;
}

int nl_link_gro_set(const char *dev, bool on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = on };

	return ethtool(dev, &ev);
}

int nl_ifindex(const char *name)
{
	unsigned int ifindex = if_nametoindex(name);

	return ifindex ? (int)ifindex : -ENODEV;
}

int nl_link_del_name(struct nl *nl, const char *name)
{
	int ifindex = nl_ifindex(name);

	return ifindex < 0 ? ifindex : nl_link_del(nl, (uint32_t)ifindex);
}

int nl_link_set_master_name(struct nl *nl, const char *name, const char *master)
{
	int ifindex = nl_ifindex(name), m = master ? nl_ifindex(master) : 0;

	if (ifindex < 0)
		return ifindex;
	if (m < 0)
		return m;
	return nl_link_set_master(nl, (uint32_t)ifindex, (uint32_t)m);
}
