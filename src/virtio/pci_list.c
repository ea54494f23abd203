/* pci_list.c - the machine's virtio-pci devices; see pci_list.h. */
#include "virtio/pci_list.h"

#include "virtio/pci.h"

static int attach_loop(struct virtio_pci *vp, struct loop *loop, struct kverr *err)
{
	return vp->ops->attach_loop ? vp->ops->attach_loop(vp->dev, loop, err) : 0;
}

int virtio_pci_list_add(struct virtio_pci_list *l, struct virtio_pci *vp, struct kverr *err)
{
	struct virtio_pci **p = &l->first;
	int ret;

	if (l->loop && (ret = attach_loop(vp, l->loop, err)))
		return ret;
	while (*p)
		p = &(*p)->list_next;
	vp->list_next = NULL;
	*p = vp;
	if (l->vm_bound)
		virtio_pci_attach_vm(vp, &l->vm);
	return 0;
}

void virtio_pci_list_remove(struct virtio_pci_list *l, struct virtio_pci *vp)
{
	for (struct virtio_pci **p = &l->first; *p; p = &(*p)->list_next)
		if (*p == vp) {
			*p = vp->list_next;
			vp->list_next = NULL;
			return;
		}
}

void virtio_pci_list_vm_built(struct virtio_pci_list *l, const struct pci_vm_ops *vm)
{
	l->vm = *vm;
	l->vm_bound = true;
	for (struct virtio_pci *vp = l->first; vp; vp = vp->list_next)
		virtio_pci_attach_vm(vp, &l->vm);
}

void virtio_pci_list_vm_gone(struct virtio_pci_list *l)
{
	for (struct virtio_pci *vp = l->first; vp; vp = vp->list_next)
		virtio_pci_detach_vm(vp);
	l->vm_bound = false;
}

void virtio_pci_list_reset(struct virtio_pci_list *l)
{
	for (struct virtio_pci *vp = l->first; vp; vp = vp->list_next) {
		if (vp->ops->machine_reset)
			vp->ops->machine_reset(vp->dev);
		else
			virtio_pci_reset(vp);
	}
}

int virtio_pci_list_attach_loop(struct virtio_pci_list *l, struct loop *loop, struct kverr *err)
{
	int ret;

	for (struct virtio_pci *vp = l->first; vp; vp = vp->list_next)
		if ((ret = attach_loop(vp, loop, err)))
			return ret;
	l->loop = loop;
	return 0;
}
