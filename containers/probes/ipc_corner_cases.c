/* Ten IPC corner cases, one line each, to compare gVisor with Linux
   (containers/divergences/gvisor.tsv cites each line it shows):
   SysV msgrcv with a negative msgtyp; a zero-length message's effect on
   msg_cbytes; msgrcv(MSG_NOERROR) truncation; a FIFO's data after its last
   close; F_GETLK on a free range; F_OFD_SETLK with l_pid set; mmap of a
   memfd sealed with F_SEAL_WRITE; mremap with old_size 0 of a private
   mapping; send on a unix datagram socket whose peer closed; a zero-length
   unix datagram.
     bazel build //containers/probes:ipc_corner_cases
     runsc --network=none do bazel-bin/containers/probes/ipc_corner_cases */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
struct m { long t; char x[16]; };
int main(int argc,char**argv){
  /* 1 msgrcv negative type */
  int q=msgget(IPC_PRIVATE,0600); struct m a={5,"abc"}; msgsnd(q,&a,3,0);
  struct m b; long r=msgrcv(q,&b,16,-5,IPC_NOWAIT); printf("msgrcv(-5) with type 5 queued: %ld %s\n",r,r<0?strerror(errno):"");
  /* 2 zero-length msg cbytes */
  struct m z={1}; msgsnd(q,&z,0,0); struct msqid_ds ds; msgctl(q,IPC_STAT,&ds); printf("after 0-byte send: qnum %lu cbytes %lu\n",ds.msg_qnum,ds.__msg_cbytes);
  msgrcv(q,&b,16,0,IPC_NOWAIT); msgctl(q,IPC_STAT,&ds); printf("after recv: qnum %lu cbytes %lu\n",ds.msg_qnum,ds.__msg_cbytes);
  msgrcv(q,&b,16,0,IPC_NOWAIT); msgctl(q,IPC_STAT,&ds); printf("after recv all: qnum %lu cbytes %lu\n",ds.msg_qnum,ds.__msg_cbytes);
  /* 3 MSG_NOERROR truncation copies past */
  struct m c={7,"0123456789"}; msgsnd(q,&c,10,0); memset(&b,0,sizeof b);
  r=msgrcv(q,&b,4,0,IPC_NOWAIT|MSG_NOERROR); printf("MSG_NOERROR msgsz 4: ret %ld mtext[4]=0x%02x\n",r,(unsigned char)b.x[4]);
  msgctl(q,IPC_RMID,0);
  /* 4 FIFO last close */
  unlink("/tmp/gvp-fifo"); mkfifo("/tmp/gvp-fifo",0600);
  int rd=open("/tmp/gvp-fifo",O_RDONLY|O_NONBLOCK), wr=open("/tmp/gvp-fifo",O_WRONLY|O_NONBLOCK);
  write(wr,"leftover!",9); close(wr); close(rd);
  rd=open("/tmp/gvp-fifo",O_RDONLY|O_NONBLOCK); int n=-1; ioctl(rd,FIONREAD,&n); char buf[32]; r=read(rd,buf,32);
  printf("FIFO reopened after last close: FIONREAD %d read %ld\n",n,r); close(rd); unlink("/tmp/gvp-fifo");
  /* 5 F_GETLK unlocked range */
  char tmpl[]="/tmp/gvp-lkXXXXXX"; int fd=mkstemp(tmpl); unlink(tmpl); ftruncate(fd,100);
  struct flock fl={.l_type=F_WRLCK,.l_whence=SEEK_SET,.l_start=30,.l_len=5};
  fcntl(fd,F_GETLK,&fl); printf("F_GETLK on free range: type %d(F_UNLCK=%d) start %ld len %ld\n",fl.l_type,F_UNLCK,(long)fl.l_start,(long)fl.l_len);
  /* 6 OFD l_pid */
  struct flock o={.l_type=F_RDLCK,.l_whence=SEEK_SET,.l_start=0,.l_len=1,.l_pid=3};
  r=fcntl(fd,F_OFD_SETLK,&o); printf("F_OFD_SETLK l_pid 3: %ld %s\n",r,r<0?strerror(errno):"");
  /* 7 memfd seal write + MAP_SHARED PROT_READ */
  int mf=memfd_create("x",MFD_ALLOW_SEALING); ftruncate(mf,4096); r=fcntl(mf,F_ADD_SEALS,F_SEAL_WRITE);
  void*p=mmap(0,4096,PROT_READ,MAP_SHARED,mf,0); printf("memfd F_SEAL_WRITE then mmap(PROT_READ,MAP_SHARED): %s\n",p==MAP_FAILED?strerror(errno):"ok");
  /* 8 mremap old_size 0 private */
  void*pr=mmap(0,4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  void*d=mremap(pr,0,4096,MREMAP_MAYMOVE); printf("mremap(private, old_size 0): %s\n",d==MAP_FAILED?strerror(errno):"succeeded");
  /* 9 unix dgram send to closed peer */
  int s[2]; socketpair(AF_UNIX,SOCK_DGRAM,0,s); close(s[1]); r=send(s[0],"x",1,MSG_NOSIGNAL); printf("dgram send after peer close: %ld %s\n",r,r<0?strerror(errno):"");
  close(s[0]);
  /* 10 zero-length dgram */
  socketpair(AF_UNIX,SOCK_DGRAM,0,s); send(s[0],"",0,0); r=recv(s[1],buf,32,MSG_DONTWAIT); printf("zero-length dgram recv: %ld %s\n",r,r<0?strerror(errno):"");
  return 0;
}
