/* virtio.h - numbers from the virtio 1.2 specification that kvmem's
 * transport, queues and devices share.  Constants only. */
#ifndef KVMEM_VIRTIO_VIRTIO_H
#define KVMEM_VIRTIO_VIRTIO_H

/* Device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Feature bits independent of the device type (6) */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* Split virtqueue (2.7) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_DESC_SIZE 16
#define VIRTQ_USED_ELEM_SIZE 8
/* Queue Size of a split virtqueue: a power of two up to 32768 */
#define VIRTQ_MAX_SIZE 32768

/* ISR status (4.1.4.5) */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* "no vector" for MSI-X vector registers (4.1.4.3) */
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Device ids (5) */
#define VIRTIO_ID_BALLOON 5

#endif
